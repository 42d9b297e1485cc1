import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SqlSessionStore } from '../../src/adapters/store/sql-session-store.js';
import { SqlWebhookStore } from '../../src/adapters/store/sql-webhook-store.js';
import type { Webhook, WebhookAttempt, WebhookEvent, WebhookEventName } from '../../src/core/webhook.js';
import type { SessionStore } from '../../src/core/ports/session-store.js';
import type { WebhookStore } from '../../src/core/ports/webhook-store.js';
import { BACKENDS, type Backend } from './session-store-backends.js';

// One suite for the WebhookStore port, run against every database it is built for.

const T0 = new Date('2026-01-01T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const uid = (p: string) => `${p}_${randomBytes(6).toString('hex')}`;

const attempt = (n: number, over: Partial<WebhookAttempt> = {}): WebhookAttempt => ({
  attempt: n,
  at: at(100 + n),
  outcome: 'retry',
  statusCode: 503,
  latencyMs: 12,
  error: 'HTTP 503',
  ...over,
});

export function webhookStoreContract(backend: Backend): void {
  describe(`WebhookStore on ${backend.name}`, () => {
    let store: SessionStore;
    let hooks: WebhookStore;
    let close: () => Promise<void>;
    before(async () => {
      const opened = await backend.open();
      store = new SqlSessionStore(opened.db);
      hooks = new SqlWebhookStore(opened.db);
      close = opened.close;
    });
    after(() => close());

    async function tenant(): Promise<string> {
      const id = uid('ten');
      await store.createTenant({ id, name: `name-${id}`, createdAt: T0 });
      return id;
    }
    async function webhook(tenantId: string, events: WebhookEventName[] = ['session.completed'], s = 0): Promise<Webhook> {
      const w: Webhook = { tenantId, id: uid('wh'), url: 'https://emr.example/hook', events, secret: uid('whsec'), createdAt: at(s), deletedAt: null };
      await hooks.insertWebhook(w);
      return w;
    }
    const event = (tenantId: string, name: WebhookEventName = 'session.completed', s = 10): WebhookEvent => ({
      tenantId,
      id: uid('evt'),
      sessionId: uid('ses'),
      event: name,
      body: JSON.stringify({ event: name, n: s }),
      createdAt: at(s),
    });
    let n = 0;
    const newId = () => `dlv_${randomBytes(4).toString('hex')}_${++n}`;
    const emit = (e: WebhookEvent) => store.transaction((tx) => hooks.recordEvent(tx, e, newId));

    test('webhooks: listed per tenant in creation order, found by id within the tenant, soft-deleted once', async () => {
      const a = await tenant();
      const b = await tenant();
      const w1 = await webhook(a, ['session.completed', 'session.failed'], 1);
      const w2 = await webhook(a, ['session.started'], 2);
      const other = await webhook(b);
      assert.deepEqual(await hooks.listWebhooks(a), [w1, w2]);
      assert.deepEqual(await hooks.getWebhook(a, w1.id), w1);
      assert.equal(await hooks.getWebhook(b, w1.id), undefined, 'another tenant cannot see it');
      assert.equal(await hooks.deleteWebhook(b, w1.id, at(5)), false, 'nor delete it');
      assert.equal(await hooks.deleteWebhook(a, w1.id, at(5)), true);
      assert.equal(await hooks.deleteWebhook(a, w1.id, at(6)), false);
      assert.deepEqual(await hooks.listWebhooks(a), [w2]);
      assert.equal(await hooks.getWebhook(a, w1.id), undefined);
      assert.deepEqual(await hooks.listWebhooks(b), [other]);
    });

    test('an event is recorded with one pending delivery per live subscribed webhook, and nothing when none is', async () => {
      const t = await tenant();
      const completed = await webhook(t, ['session.completed']);
      await webhook(t, ['session.started']);
      const deleted = await webhook(t, ['session.completed']);
      await hooks.deleteWebhook(t, deleted.id, at(1));
      await webhook(await tenant(), ['session.completed']);
      assert.deepEqual(await emit(event(t, 'session.expired')), []);
      const e = event(t);
      const ids = await emit(e);
      assert.equal(ids.length, 1);
      const toSend = (await hooks.findDeliveryToSend(ids[0]!))!;
      assert.deepEqual(toSend.event, e);
      assert.deepEqual(toSend.webhook, completed);
      assert.equal(toSend.delivery.status, 'pending');
      assert.equal(toSend.delivery.attempts, 0);
      assert.deepEqual(toSend.delivery.nextAttemptAt, e.createdAt);
      assert.equal(toSend.delivery.event, 'session.completed');
      assert.equal(toSend.delivery.sessionId, e.sessionId);
      assert.equal(await hooks.findDeliveryToSend('dlv_unknown'), undefined);
    });

    test('an event in a transaction that throws is not recorded', async () => {
      const t = await tenant();
      const w = await webhook(t);
      let ids: string[] = [];
      await assert.rejects(
        store.transaction(async (tx) => {
          ids = await hooks.recordEvent(tx, event(t), newId);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(ids.length, 1);
      assert.equal(await hooks.findDeliveryToSend(ids[0]!), undefined);
      assert.deepEqual(await hooks.listDeliveries(t, w.id, 10), []);
    });

    test('attempts: appended once per number, moving a pending delivery; a cancelled one stays cancelled', async () => {
      const t = await tenant();
      const w = await webhook(t);
      const [id] = await emit(event(t));
      await store.transaction((tx) => hooks.recordAttempt(tx, id!, attempt(1), 'pending', at(200)));
      // The same attempt again (a worker died after sending): no second row.
      await store.transaction((tx) => hooks.recordAttempt(tx, id!, attempt(1), 'pending', at(200)));
      let d = (await hooks.getDelivery(t, w.id, id!))!;
      assert.equal(d.status, 'pending');
      assert.equal(d.attempts, 1);
      assert.deepEqual(d.nextAttemptAt, at(200));
      assert.equal(d.lastStatusCode, 503);
      assert.equal(d.lastError, 'HTTP 503');
      assert.equal(d.lastLatencyMs, 12);
      assert.deepEqual(d.attemptLog, [attempt(1)]);
      const ok = attempt(2, { outcome: 'delivered', statusCode: 200, error: null, latencyMs: 7 });
      await store.transaction((tx) => hooks.recordAttempt(tx, id!, ok, 'succeeded', null));
      d = (await hooks.getDelivery(t, w.id, id!))!;
      assert.equal(d.status, 'succeeded');
      assert.deepEqual(d.deliveredAt, ok.at);
      assert.equal(d.nextAttemptAt, null);
      assert.deepEqual(d.attemptLog, [attempt(1), ok]);

      const [cancelled] = await emit(event(t));
      await hooks.deleteWebhook(t, w.id, at(300));
      assert.equal((await hooks.findDeliveryToSend(cancelled!))!.delivery.status, 'cancelled');
      await store.transaction((tx) => hooks.recordAttempt(tx, cancelled!, attempt(1), 'pending', at(400)));
      const after = (await hooks.findDeliveryToSend(cancelled!))!;
      assert.equal(after.delivery.status, 'cancelled');
      assert.notEqual(after.webhook.deletedAt, null, 'a deleted webhook is still found for its deliveries');
      assert.equal((await hooks.getDelivery(t, w.id, id!))!.status, 'succeeded', 'deleting does not touch finished deliveries');
    });

    test('the delivery log: newest first, limited, scoped to tenant and webhook', async () => {
      const t = await tenant();
      const other = await tenant();
      const w = await webhook(t, ['session.completed', 'session.failed']);
      const w2 = await webhook(t, ['session.failed']);
      const ids: string[] = [];
      for (let s = 1; s <= 4; s++) ids.push(...(await emit(event(t, 'session.completed', s))));
      const fifth = await emit(event(t, 'session.failed', 5));
      assert.equal(fifth.length, 2);
      const listed = await hooks.listDeliveries(t, w.id, 10);
      assert.deepEqual(listed.map((d) => d.createdAt.getTime()), [5, 4, 3, 2, 1].map((s) => at(s).getTime()));
      assert.ok(fifth.includes(listed[0]!.id));
      assert.deepEqual(listed.slice(1).map((d) => d.id), [...ids].reverse());
      assert.deepEqual((await hooks.listDeliveries(t, w.id, 2)).map((d) => d.id), listed.slice(0, 2).map((d) => d.id));
      assert.deepEqual((await hooks.listDeliveries(t, w2.id, 10)).map((d) => d.id), fifth.filter((id) => id !== listed[0]!.id));
      assert.deepEqual(await hooks.listDeliveries(other, w.id, 10), []);
      assert.equal(await hooks.getDelivery(other, w.id, ids[0]!), undefined);
      assert.equal(await hooks.getDelivery(t, w2.id, ids[0]!), undefined, 'not under another webhook');
    });

    test('redelivery reopens only a finished delivery', async () => {
      const t = await tenant();
      const w = await webhook(t);
      const [id] = await emit(event(t));
      const reopen = (now: Date, tenantId = t) => store.transaction((tx) => hooks.reopenDelivery(tx, tenantId, id!, now));
      assert.equal(await reopen(at(150)), false, 'still pending');
      await store.transaction((tx) => hooks.recordAttempt(tx, id!, attempt(1, { outcome: 'rejected', statusCode: 410 }), 'dead', null));
      assert.equal(await reopen(at(150), await tenant()), false, 'another tenant cannot');
      assert.equal(await reopen(at(150)), true);
      const d = (await hooks.getDelivery(t, w.id, id!))!;
      assert.equal(d.status, 'pending');
      assert.deepEqual(d.nextAttemptAt, at(150));
      assert.equal(await reopen(at(151)), false);
    });

    test('a pending delivery long past due is found as stranded and revived once (compare-and-set)', async () => {
      const t = await tenant();
      await webhook(t, ['session.completed']);
      const [id] = await emit(event(t, 'session.completed', 30));
      const stranded = async (before: Date) => (await hooks.findStranded(before, 10_000)).find((d) => d.id === id);
      assert.equal(await stranded(at(30)), undefined, 'not before its due time');
      assert.deepEqual(await stranded(at(31)), { id, attempts: 0 });
      const revive = (now: Date) => store.transaction((tx) => hooks.reviveDelivery(tx, id!, at(31), now));
      assert.equal(await revive(at(5000)), true);
      assert.equal(await revive(at(5001)), false, 'taken once: now due at 5000');
      assert.equal(await stranded(at(31)), undefined);
      await store.transaction((tx) => hooks.recordAttempt(tx, id!, attempt(1, { outcome: 'rejected', statusCode: 410 }), 'dead', null));
      assert.equal(await stranded(at(10_000)), undefined, 'a finished delivery is never stranded');
    });

    // Last: it deletes by age across tenants.
    test('pruning drops finished deliveries older than the cut-off, their attempts and their events; pending ones stay', async () => {
      const t = await tenant();
      const w = await webhook(t, ['session.completed', 'session.failed', 'session.started']);
      const [done] = await emit(event(t, 'session.completed', 20));
      const [dead] = await emit(event(t, 'session.failed', 21));
      const [pending] = await emit(event(t, 'session.started', 22));
      await store.transaction((tx) => hooks.recordAttempt(tx, done!, attempt(1, { outcome: 'delivered', statusCode: 200, error: null, at: at(200) }), 'succeeded', null));
      await store.transaction((tx) => hooks.recordAttempt(tx, dead!, attempt(1, { outcome: 'rejected', statusCode: 410, at: at(400) }), 'dead', null));
      await store.transaction((tx) => hooks.recordAttempt(tx, pending!, attempt(1, { at: at(200) }), 'pending', at(1000)));
      // Finished at 200 and 400: a cut-off at 300 takes the first only.
      assert.ok((await hooks.pruneFinished(at(300), 1000)) >= 1);
      assert.equal(await hooks.getDelivery(t, w.id, done!), undefined);
      assert.equal((await hooks.getDelivery(t, w.id, dead!))?.status, 'dead');
      const stillPending = await hooks.getDelivery(t, w.id, pending!);
      assert.equal(stillPending?.status, 'pending');
      assert.equal(stillPending?.attemptLog.length, 1, 'a pending delivery keeps its attempt log');
      assert.equal(await hooks.findDeliveryToSend(done!), undefined);
      assert.ok(await hooks.findDeliveryToSend(pending!), 'its event is kept');
      await hooks.pruneFinished(at(500), 1000);
      assert.equal(await hooks.getDelivery(t, w.id, dead!), undefined);
      assert.deepEqual((await hooks.listDeliveries(t, w.id, 10)).map((d) => d.id), [pending]);
    });
  });
}

for (const backend of BACKENDS) webhookStoreContract(backend);
