#!/usr/bin/env node
// Thin launcher: runs the compiled CLI (npm run build makes dist/).
import '../dist/main.js';
