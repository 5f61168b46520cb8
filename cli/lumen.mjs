#!/usr/bin/env node
// The `lumen` bin. The CLI is TypeScript like the rest of the repo, run through tsx,
// with the repo's own tsconfig so a tsconfig.json in the caller's directory is ignored.
import { register } from 'tsx/esm/api';

register({ tsconfig: new URL('../tsconfig.json', import.meta.url).pathname });
await import('./main.ts');
