/** Now, in the epoch seconds that JWT claims and KV expirations use. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
