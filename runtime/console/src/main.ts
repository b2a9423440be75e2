/** The console's entry: bundled by the router (runtime/http/console-assets.ts) with Preact and htm. */
import { html } from 'htm/preact';
import { render } from 'preact';
import { App } from './app.ts';

render(html`<${App} />`, document.getElementById('app')!);
