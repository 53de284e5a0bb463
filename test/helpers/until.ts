// Test helper: polls an async probe every 50 ms until it answers something (a probe that throws
// counts as no answer yet), or gives up (after 30 s by default) naming what it waited for.

export async function until<V>(what: string, probe: () => Promise<V | undefined>, tries = 600): Promise<V> {
  for (let i = 0; i < tries; i++) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}
