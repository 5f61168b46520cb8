// The ceiling for bench/gateway.ts: the least a Worker can do on the same
// runtime (workerd), so the gateway's figures read as a share of it.
// (No `satisfies ExportedHandler`: bench/ typechecks with Node's types, not the Workers'.)
export default {
  fetch: (): Response => new Response('hello'),
};
