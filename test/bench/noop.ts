/** The runtime's ceiling: a Worker that does nothing, in the same workerd as edge-token. */
export default {
  fetch(): Response {
    return new Response("ok");
  },
};
