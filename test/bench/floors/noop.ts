/**
 * The runtime's ceiling: a Worker that does nothing, in the same workerd as edge-token.
 * A POST reads its body first: that variant shows what receiving a form costs by itself.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method === "POST") await request.arrayBuffer();
    return new Response("ok");
  },
};
