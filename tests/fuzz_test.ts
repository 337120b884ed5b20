/**
 * Seeded fuzzing of every surface that reads a file a person or a stranger
 * wrote: the config, the market file, keystores, signed benchmark reports,
 * the consumer's client config and BID files, and rigs' signed records (what
 * a relay's directory or a peer hands a consumer). Thousands of mutated
 * inputs each, in-process; a few through the
 * real CLI. Every outcome must be a success or the surface's documented,
 * clean error (never a TypeError, a RangeError or a stack trace), with a
 * message of bounded size that never quotes key material; through the CLI,
 * the documented exit code (2 for bad input, 1 for an invalid report).
 *
 * Replay a failure with its seed: FUZZ_SEED=<seed> deno test -A tests/fuzz_test.ts
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { ConfigError, formatConfigProblem } from "../src/agent/base/mod.ts";
import {
  parseBidSpec,
  parseClientConfig,
  parseConfig,
  renderClientConfigTemplate,
} from "../src/agent/config/mod.ts";
import {
  BenchReportError,
  hardwareFingerprint,
  signBenchReport,
  verifyBenchReport,
} from "../src/bench/mod.ts";
import {
  decryptKeystore,
  encryptKeystore,
  KeystoreAddressMismatchError,
  KeystoreFormatError,
  KeystorePassphraseError,
} from "../src/chain/mod.ts";
import { MarketFileError, parseMarketFile } from "../src/matcher/mod.ts";
import {
  decodeRigRecord,
  encodeRigRecord,
  RigIdentityError,
  RigRecordFormatError,
  rigRecordKey,
  signRigRecord,
  validateRigRecordEntry,
  verifyRigRecord,
} from "../src/nat/mod.ts";
import { mutateText, mutateValue, type Rand } from "./_fixtures/mutate.ts";
import { prng } from "./_fixtures/prng.ts";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261129);
const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? 2500);
const MAX_MESSAGE = 2000;

/** Runs `check` on RUNS inputs; each gets its own seed, named in a failure. */
async function fuzz(
  surface: number,
  make: (rand: Rand) => unknown,
  check: (input: unknown) => Promise<void> | void,
): Promise<void> {
  for (let i = 0; i < RUNS; i++) {
    const seed = SEED + surface * 1_000_003 + i;
    const input = make(prng(seed));
    try {
      await check(input);
    } catch (error) {
      const shown = typeof input === "string"
        ? input.slice(0, 300)
        : JSON.stringify(input)?.slice(0, 300);
      throw new Error(`fuzz case seed ${seed} failed on input ${shown}`, { cause: error });
    }
  }
}

const CONFIG_TEXT = await Deno.readTextFile(join(ROOT, "config.example.yaml"));
const CONFIG_VALUE = {
  data_dir: "./.data",
  chain: {
    rpc_url: "http://127.0.0.1:8545",
    chain_id: 31337,
    from_block: 0,
    contracts: Object.fromEntries(
      ["market", "token", "oracle", "blacklist", "profiles"].map((
        k,
        i,
      ) => [k, `0x${String(i + 1).repeat(40)}`]),
    ),
  },
  keystore: { path: "k.json", passphrase_env: "PASS" },
  plans: [{
    name: "gpu-a",
    price_usd_per_hour: "1.5",
    duration: "8h",
    resources: { cpu_cores: 2, ram: "1GiB", storage: "2GiB", gpus: [0], net: { incoming: true } },
    identity_level: 1,
    tag: "demo",
  }],
  dashboard: { bind: "127.0.0.1", port: 9337 },
  power: { idle_watts: 60, price_per_kwh: "0.12" },
};

function mutatedConfig(rand: Rand): string {
  return rand() < 0.5
    ? mutateText(CONFIG_TEXT, rand)
    : JSON.stringify(mutateValue(CONFIG_VALUE, rand));
}

function checkConfig(input: unknown): void {
  try {
    parseConfig(input as string, { file: "/rig/rig.yaml", gpuIndexes: [0, 1] });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
    assert.ok(error.problems.length >= 1);
    for (const problem of error.problems) {
      const line = formatConfigProblem(problem);
      assert.ok(line.length < MAX_MESSAGE, line.slice(0, 200));
      assert.ok(
        problem.path !== "(top level)" || problem.value === undefined || line.includes("got"),
      );
    }
  }
}

const A1 = "0x00000000000000000000000000000000000000a1";
const A2 = "0x00000000000000000000000000000000000000a2";
const MARKET_RECORDS: Record<string, unknown>[] = [
  {
    kind: "order",
    id: "1",
    type: "BID",
    author: A1,
    duration: "3600",
    price: "1000",
    netflags: [true, false],
    identityLevel: 0,
    counterparty: "0x" + "0".repeat(40),
    blacklist: "0x" + "0".repeat(40),
    tag: "0x" + "0".repeat(64),
    benchmarks: ["1", "2"],
    active: true,
  },
  {
    kind: "order",
    id: "2",
    type: "ASK",
    author: A2,
    duration: "7200",
    price: "900",
    benchmarks: ["5"],
  },
  { kind: "master", worker: A2, master: A1 },
  { kind: "level", address: A1, level: 2 },
  { kind: "blacklist", owner: A1, listed: A2 },
];
const MARKET_TEXT = MARKET_RECORDS.map((r) => JSON.stringify(r)).join("\n");

function mutatedMarket(rand: Rand): string {
  if (rand() < 0.4) return mutateText(MARKET_TEXT, rand);
  const records = MARKET_RECORDS.map((r) => rand() < 0.3 ? mutateValue(r, rand) : r);
  return records.map((r) => JSON.stringify(r)).join("\n");
}

function checkMarket(input: unknown): void {
  try {
    parseMarketFile(input as string);
  } catch (error) {
    assert.ok(error instanceof MarketFileError, `not a MarketFileError: ${error}`);
    assert.ok(error.message.length < MAX_MESSAGE, error.message.slice(0, 200));
    assert.equal(error.badInput, true);
  }
}

const SECRET = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
// pbkdf2 with c=1: the fuzz checks parsing and bounds, not the KDF's cost.
const KEYSTORE = await encryptKeystore(SECRET, { passphrase: "pw", kdf: { kdf: "pbkdf2", c: 1 } });

async function checkKeystore(input: unknown): Promise<void> {
  try {
    await decryptKeystore(input, { passphrase: "pw", path: "/k.json" });
  } catch (error) {
    assert.ok(
      error instanceof KeystoreFormatError || error instanceof KeystorePassphraseError ||
        error instanceof KeystoreAddressMismatchError,
      `not a keystore error: ${error}`,
    );
    const chain = [...error.causes()].map((c) => c instanceof Error ? c.message : String(c));
    for (const message of chain) {
      assert.ok(message.length < MAX_MESSAGE);
      assert.ok(!message.includes(SECRET.slice(2, 20)), "an error quotes the key");
    }
  }
}

const SIGNER = privateKeyToAccount(`0x${"42".repeat(32)}`);
const fingerprint = hardwareFingerprint({
  cpu: { model: "EPYC", vendor: "AuthenticAMD", sockets: 1, cores: 2, threads: 2, flags: [] },
  memory: { totalBytes: 2 ** 34, availableBytes: 2 ** 33 },
  storage: { path: "/", totalBytes: 2 ** 40, freeBytes: 2 ** 39 },
  network: [],
  gpus: [],
  opencl: [],
  notes: [],
});
const REPORT = await signBenchReport(SIGNER, {
  createdAt: new Date("2026-11-29T00:00:00Z"),
  suite: {
    hardwareHash: fingerprint.hash,
    identity: fingerprint.identity,
    probes: { "cpu-sysbench": "1" },
    results: [{
      id: 2,
      key: "cpu-cores",
      value: 2n,
      unit: "",
      status: "measured",
      note: "",
      probe: "host",
      measuredAt: 1,
      details: {},
    }],
  },
});
const REPORT_TEXT = JSON.stringify(REPORT, null, 2);

async function checkReport(input: unknown): Promise<void> {
  try {
    const result = await verifyBenchReport(input as string);
    if (result.valid) assert.equal(result.signer, SIGNER.address);
  } catch (error) {
    assert.ok(error instanceof BenchReportError, `not a BenchReportError: ${error}`);
    assert.ok(error.message.length < MAX_MESSAGE, error.message.slice(0, 200));
  }
}

Deno.test("fuzz: the config parser gives a ConfigError or a config, for every input", async () => {
  checkConfig(CONFIG_TEXT);
  await fuzz(1, mutatedConfig, checkConfig);
});

const CLIENT_TEXT = renderClientConfigTemplate({
  chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337, market: `0x${"1".repeat(40)}` },
  relays: [`/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW${"A".repeat(44)}`],
});
const BID_TEXT = `price_usd_per_hour: "0.40"
duration: 8h
resources: { cpu_cores: 1.5, ram: 1GiB, storage: 2GiB, gpus: [0, 1], gpu_mem: 8GiB, net: { incoming: true } }
benchmarks: { cpu-sysbench-single: 500, "9": 1000 }
identity_level: 1
counterparty: "0x${"2".repeat(40)}"
tag: web
`;

/** A client.yaml or BID file parser: a value, or a ConfigError with bounded problem lines. */
function checkYamlSurface(parse: (text: string) => unknown): (input: unknown) => void {
  return (input) => {
    try {
      parse(input as string);
    } catch (error) {
      assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
      assert.ok(error.problems.length >= 1);
      for (const problem of error.problems) {
        const line = formatConfigProblem(problem);
        assert.ok(line.length < MAX_MESSAGE, line.slice(0, 200));
      }
    }
  };
}

Deno.test("fuzz: the client config parser gives a ConfigError or a config, for every input", async () => {
  const check = checkYamlSurface((text) => parseClientConfig(text, { file: "/me/client.yaml" }));
  check(CLIENT_TEXT);
  await fuzz(21, (rand) => mutateText(CLIENT_TEXT, rand), check);
});

Deno.test("fuzz: the BID file parser gives a ConfigError or a BID, for every input", async () => {
  const check = checkYamlSurface((text) => parseBidSpec(text, { file: "/me/bid.yaml" }));
  check(BID_TEXT);
  await fuzz(22, (rand) => mutateText(BID_TEXT, rand), check);
});

Deno.test("fuzz: the market file parser gives a MarketFileError or a market, for every input", async () => {
  parseMarketFile(MARKET_TEXT);
  await fuzz(2, mutatedMarket, checkMarket);
});

Deno.test("fuzz: keystores unlock or give a keystore error that quotes no key", async () => {
  assert.equal(
    (await decryptKeystore(KEYSTORE, { passphrase: "pw" })).address,
    privateKeyToAccount(SECRET).address,
  );
  await fuzz(
    3,
    (rand) =>
      rand() < 0.3 ? mutateText(JSON.stringify(KEYSTORE), rand) : mutateValue(KEYSTORE, rand),
    checkKeystore,
  );
});

Deno.test("fuzz: bench reports verify or give a BenchReportError, for every input", async () => {
  assert.equal((await verifyBenchReport(REPORT_TEXT)).valid, true);
  await fuzz(
    4,
    (rand) =>
      rand() < 0.4 ? mutateText(REPORT_TEXT, rand) : JSON.stringify(mutateValue(REPORT, rand)),
    checkReport,
  );
});

const RIG = privateKeyToAccount(`0x${"33".repeat(32)}`);
const RIG_EXPECT = {
  chainId: 31337,
  market: "0x00000000000000000000000000000000000000aa",
  supplier: RIG.address,
  nowSeconds: 1_900_000_000n,
} as const;
const RIG_RECORD = await signRigRecord(RIG, {
  chainId: RIG_EXPECT.chainId,
  market: RIG_EXPECT.market,
  address: RIG.address,
  peerId: "12D3KooWFDjbqKTr4CuLBzwFtrzBcniUPWboDr18VZadAHm9e8Qj",
  addrs: [
    "/ip4/198.18.0.1/udp/4001/quic-v1/p2p/12D3KooWS81zFmeHwZcPMGqkBSKAHRq9bHpBX4y6agUFjA8Pva8M/p2p-circuit/p2p/12D3KooWFDjbqKTr4CuLBzwFtrzBcniUPWboDr18VZadAHm9e8Qj",
    "/ip4/10.0.1.2/tcp/4001/p2p/12D3KooWFDjbqKTr4CuLBzwFtrzBcniUPWboDr18VZadAHm9e8Qj",
  ],
  seq: 1_899_999_000_000n,
  expiry: 1_900_003_600n,
});
const RIG_RECORD_TEXT = new TextDecoder().decode(encodeRigRecord(RIG_RECORD));
const RIG_RECORD_WIRE = JSON.parse(RIG_RECORD_TEXT);
const RIG_KEY = rigRecordKey(RIG_RECORD);

/**
 * A record from a stranger decodes or gives a RigRecordFormatError; one that
 * decodes proves the rig or gives a RigIdentityError; only the untouched
 * fields verify (a mutation that keeps them all is the record itself). The
 * DHT validator agrees with both.
 */
async function checkRigRecord(input: unknown): Promise<void> {
  const bytes = new TextEncoder().encode(input as string);
  const bounded = (error: Error) => assert.ok(error.message.length < MAX_MESSAGE);
  let decoded;
  try {
    decoded = decodeRigRecord(bytes);
  } catch (error) {
    assert.ok(error instanceof RigRecordFormatError, `not a RigRecordFormatError: ${error}`);
    bounded(error);
    await assert.rejects(validateRigRecordEntry(RIG_KEY, bytes, RIG_EXPECT.nowSeconds));
    return;
  }
  let proven = true;
  try {
    await verifyRigRecord(decoded, { ...RIG_EXPECT, peerId: RIG_RECORD.peerId });
  } catch (error) {
    assert.ok(error instanceof RigIdentityError, `not a RigIdentityError: ${error}`);
    assert.ok(error.message.includes(RIG.address), "the error names the expected supplier");
    bounded(error);
    proven = false;
  }
  if (proven) {
    // the same record up to the case of its addresses (they are compared case-blind)
    const same = (a: typeof decoded) =>
      JSON.stringify({ ...a, seq: `${a.seq}`, expiry: `${a.expiry}` }).toLowerCase();
    assert.equal(same(decoded), same(RIG_RECORD), "a changed record still verified");
  }
  const accepted = await validateRigRecordEntry(RIG_KEY, bytes, RIG_EXPECT.nowSeconds).then(
    () => true,
    (error) => {
      assert.ok(error instanceof RigRecordFormatError || error instanceof RigIdentityError);
      return false;
    },
  );
  assert.equal(accepted, proven, "the DHT validator and the client disagree");
}

Deno.test("fuzz: rig records decode and prove the rig, or give a record or identity error", async () => {
  await checkRigRecord(RIG_RECORD_TEXT);
  await verifyRigRecord(decodeRigRecord(encodeRigRecord(RIG_RECORD)), RIG_EXPECT);
  await fuzz(
    5,
    (rand) =>
      rand() < 0.4
        ? mutateText(RIG_RECORD_TEXT, rand)
        : JSON.stringify(mutateValue(RIG_RECORD_WIRE, rand)),
    checkRigRecord,
  );
});

type Cli = { code: number; stderr: string };

async function cli(args: string[]): Promise<Cli> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

function assertClean(r: Cli, allowed: number[], what: string): void {
  assert.ok(allowed.includes(r.code), `${what}: exit ${r.code}\n${r.stderr.slice(0, 500)}`);
  assert.doesNotMatch(
    r.stderr,
    /unexpected failure|\n\s+at .*:\d+:\d+/,
    `${what}: ${r.stderr.slice(0, 500)}`,
  );
  if (r.code !== 0) assert.match(r.stderr, /^error: /m, what);
}

Deno.test("fuzz: the real CLI exits with the documented code on generated inputs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "review-fuzz-" });
  try {
    const rand = prng(SEED);
    const cases = Number(Deno.env.get("FUZZ_CLI_RUNS") ?? 6);
    for (let i = 0; i < cases; i++) {
      const config = join(dir, `rig${i}.yaml`);
      await Deno.writeTextFile(config, mutatedConfig(rand));
      assertClean(
        await cli(["config", "check", "--config", config]),
        [0, 2],
        `config check ${config}`,
      );
      const market = join(dir, `market${i}.jsonl`);
      await Deno.writeTextFile(market, mutatedMarket(rand));
      assertClean(await cli(["match", "--orders", market]), [0, 2], `match ${market}`);
      const report = join(dir, `report${i}.json`);
      await Deno.writeTextFile(report, mutateText(REPORT_TEXT, rand));
      assertClean(await cli(["bench", "verify", report]), [0, 1], `bench verify ${report}`);
    }
    // The named cases of the review, each once.
    await Deno.writeTextFile(join(dir, "alias.yaml"), CONFIG_TEXT + "\nlogging: &a [*a]\n");
    assertClean(
      await cli(["config", "check", "--config", join(dir, "alias.yaml")]),
      [2],
      "self alias",
    );
    await Deno.writeTextFile(
      join(dir, "deep.jsonl"),
      `{"kind":"order","id":${"[".repeat(100_001)}${"]".repeat(100_001)}}`,
    );
    assertClean(await cli(["match", "--orders", join(dir, "deep.jsonl")]), [2], "deep market");
    assertClean(await cli(["bench", "verify", join(dir, "missing.json")]), [2], "missing report");
    assertClean(await cli(["bench", "verify", dir]), [2], "report is a directory");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
