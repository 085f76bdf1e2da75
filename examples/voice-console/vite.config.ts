export { default } from '../shared/vite-config.ts';
