import { useEffect, useState } from 'preact/hooks';

/** The page the location's hash names: `#/jobs?function=echo` → `{ path: ['jobs'], query }`. */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

const parse = (): Route => {
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
};

/** The current route, following hash changes (links are plain `href="#/..."`). */
export function useRoute(): Route {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** A link to a console page. */
export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join('/')}`;
