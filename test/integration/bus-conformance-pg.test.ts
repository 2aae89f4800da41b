import { PgBus } from "@sensorstream/bus";
import { createRegistry, silentLogger } from "@sensorstream/runtime";
import pg from "pg";
import { busConformance, type ConformanceHarness } from "../../libs/bus/src/conformance.suite.js";
import { TERMINATE_BUS_BACKENDS, takeQueued } from "../fixtures/embedded-vhost.js";
import { createTestDatabase } from "../fixtures/pg.js";

/** The embedded bus, on a database of its own on the real PostgreSQL. */
busConformance("embedded (PostgreSQL)", async (): Promise<ConformanceHarness> => {
  const db = await createTestDatabase("bus_conformance_pg");
  const buses: PgBus[] = [];
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  return {
    async open() {
      const bus = new PgBus({
        url: db.url,
        name: `conformance-${buses.length}`,
        logger: silentLogger(),
        registry: createRegistry({ defaultMetrics: false }),
        waitForConnectionMs: 15_000,
        pollMs: 200,
      });
      bus.start();
      if (!(await bus.waitConnected(15_000))) throw new Error("PgBus did not connect");
      buses.push(bus);
      return bus;
    },
    // As a server restart would: every backend of the buses ends (the reader's own connection stays).
    async dropConnections() {
      await admin.query(TERMINATE_BUS_BACKENDS);
    },
    async read(queue, max = 10_000) {
      return takeQueued(async (sql, params) => (await admin.query(sql, params)).rows, queue, max);
    },
    async close() {
      for (const b of buses) await b.close();
      await admin.end();
      await db.drop();
    },
  };
});
