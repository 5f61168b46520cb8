// Vite's `?raw` imports: the file's text. The alert rules test reads docs/alerts.yml this way (workerd has no file system).
declare module '*?raw' {
  const text: string;
  export default text;
}
