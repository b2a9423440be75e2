#!/usr/bin/env node
// The `autoglm` executable: registers tsx so the TypeScript CLI runs as is, then hands over.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
