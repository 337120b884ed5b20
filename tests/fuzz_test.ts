/**
 * Seeded fuzzing of every surface that reads a file a person or a stranger
 * wrote: the config (its text, and the path it is read from: FIFOs, devices,
 * files around the size limit), the market file, keystores, signed
 * benchmark reports, image names and allowlist entries, the dashboard's
 * HTTP server (requests over raw TCP: methods, paths, Host and other
 * headers, bodies), the consumer's client config and BID files, rigs'
 * signed records (what a relay's directory or a peer hands a consumer), and
 * what `client verify` reads from a rig (its `report` answer and the probe's
 * output in the task's logs), and the frames of an exec or shell session (what
 * either end reads off the wire).
 * Thousands of mutated inputs each, in-process; a few through the real CLI.
 * Every outcome must be a success or the surface's documented,
 * clean error (never a TypeError, a RangeError or a stack trace), with a
 * message of bounded size that never quotes key material; through the CLI,
 * the documented exit code (2 for bad input, a malformed report included; 1
 * for a well-formed report that fails its check).
 *
 * Replay a failure with its seed: FUZZ_SEED=<seed> deno test -A tests/fuzz_test.ts
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { ConfigError, formatConfigProblem } from "../src/agent/base/mod.ts";
import {
  loadConfig,
  parseBidSpec,
  parseClientConfig,
  parseConfig,
  renderClientConfigTemplate,
} from "../src/agent/config/mod.ts";
import { openState, tasksTable } from "../src/agent/state/mod.ts";
import { createAdminActions, dashboardAct } from "../src/agent/tasks/mod.ts";
import { emptySnapshot, startDashboard } from "../src/dashboard/mod.ts";
import {
  checkImagePolicy,
  DockerValidationError,
  ImagePolicyError,
  imageRuleProblem,
  parseImagePolicy,
  precheckImage,
} from "../src/docker/mod.ts";
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
  decodeExecFrame,
  decodeRigRecord,
  encodeExecFrame,
  encodeRigRecord,
  type ExecFrame,
  ExecFrameError,
  MAX_EXEC_DATA_BYTES,
  readExecFrames,
  RigIdentityError,
  RigRecordFormatError,
  rigRecordKey,
  signRigRecord,
  validateRigRecordEntry,
  verifyRigRecord,
} from "../src/nat/mod.ts";
import {
  checkReport as checkAgainstAsk,
  judge,
  readProbeOutput,
} from "../src/agent/commands/client_verify.ts";
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
  runs = RUNS,
): Promise<void> {
  for (let i = 0; i < runs; i++) {
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

const PROBE_OUTPUT = [
  '{"probe":"verify","version":"1","step":"limits","at":1000,"cpuMax":"50000 100000","memoryMax":"67108864","memTotal":8000000000,"threadsOnline":2,"rootBytes":1000000,"scratchBytes":0}',
  '{"probe":"sysbench","version":"1","ok":true,"benchmarkId":1,"threads":1,"seconds":2,"eventsPerSecond":480.5,"events":961,"at":1010,"ms":2000}',
  '{"probe":"sysbench","version":"1","ok":true,"benchmarkId":0,"threads":1,"seconds":2,"eventsPerSecond":470.1,"events":940,"at":3010,"ms":2000}',
  '{"probe":"verify","version":"1","step":"done","at":5010}',
].join("\n");
const VERDICTS = new Set(["ok", "short", "not measurable"]);

/**
 * What a rig answers `client verify`: its `report` (any JSON value) verifies
 * or gives a BenchReportError, and what verifies is checked against the ASK
 * without a throw; the probe's output (any text) gives verdict lines, each
 * with a finite ratio or none.
 */
async function checkVerifyInputs(input: unknown): Promise<void> {
  const { report, output } = input as { report: unknown; output: string };
  const ask = [1000n, 500n, 2n, 67108864n];
  try {
    const verified = await verifyBenchReport(report);
    const check = checkAgainstAsk(verified, { supplier: SIGNER.address, ask });
    assert.ok(["agrees", "disagrees", "refused"].includes(check.status));
    assert.ok(check.reason.length < MAX_MESSAGE);
  } catch (error) {
    assert.ok(error instanceof BenchReportError, `not a BenchReportError: ${error}`);
    assert.ok(error.message.length < MAX_MESSAGE, error.message.slice(0, 200));
  }
  for (const line of judge(ask, readProbeOutput(output))) {
    assert.ok(VERDICTS.has(line.verdict));
    assert.ok(line.ratio === null || Number.isFinite(line.ratio), JSON.stringify(line));
  }
}

Deno.test("fuzz: a rig's report answer and probe output give verdicts or a BenchReportError", async () => {
  await checkVerifyInputs({ report: REPORT, output: PROBE_OUTPUT });
  await fuzz(
    23,
    (rand) => ({
      report: rand() < 0.2 ? mutateText(REPORT_TEXT, rand) : mutateValue(REPORT, rand),
      output: mutateText(PROBE_OUTPUT, rand),
    }),
    checkVerifyInputs,
    Math.min(RUNS, 1000),
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

/** A valid exec frame of any type, with random values. */
function randomExecFrame(rand: Rand): ExecFrame {
  const pick = Math.floor(rand() * 8);
  const data = () =>
    Uint8Array.from(
      { length: 1 + Math.floor(rand() ** 4 * (MAX_EXEC_DATA_BYTES - 1)) },
      () => Math.floor(rand() * 256),
    );
  const cells = () => 1 + Math.floor(rand() * 10_000);
  switch (pick) {
    case 0:
      return { type: "stdin", data: data() };
    case 1:
      return { type: "stdout", data: data() };
    case 2:
      return { type: "stderr", data: data() };
    case 3:
      return { type: "resize", cols: cells(), rows: cells() };
    case 4:
      return { type: "eof" };
    case 5:
      return { type: "exit", code: Math.floor(rand() * 2 ** 32) - 2 ** 31 };
    case 6:
      return { type: "window", bytes: 1 + Math.floor(rand() * 1024 * 1024 - 1) };
    default:
      return { type: "error", message: "session ended: ".repeat(Math.floor(rand() * 4)) + "x" };
  }
}

/** A run of length-prefixed exec frames, then mutated: bytes flipped, cut, lengths forged. */
function mutatedExecStream(rand: Rand): { frames: ExecFrame[]; chunks: Uint8Array[] } {
  const frames = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => randomExecFrame(rand));
  const parts = frames.map((f) => {
    const body = encodeExecFrame(f);
    const out = new Uint8Array(4 + body.length);
    new DataView(out.buffer).setUint32(0, body.length);
    out.set(body, 4);
    return out;
  });
  const wire = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (wire.set(p, at), at + p.length), 0);
  const mutations = rand() < 0.2 ? 0 : 1 + Math.floor(rand() * 4);
  let bytes = wire;
  for (let i = 0; i < mutations; i++) {
    const at = Math.floor(rand() * bytes.length);
    const how = rand();
    if (how < 0.4) bytes[at] = Math.floor(rand() * 256);
    else if (how < 0.6) bytes = bytes.slice(0, at);
    else if (how < 0.8 && at + 4 <= bytes.length) {
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, Math.floor(rand() * 2 ** 32));
    } else bytes[at] = [0, 9, 255][Math.floor(rand() * 3)]!;
  }
  // delivered in random pieces, as a transport does
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(rand() * 70_000);
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return { frames: mutations === 0 ? frames : [], chunks };
}

Deno.test("fuzz: exec frames decode to typed frames or give an ExecFrameError, for every input", async () => {
  const roundTrip = (frame: ExecFrame) =>
    assert.deepEqual(decodeExecFrame(encodeExecFrame(frame)), frame);
  roundTrip({ type: "exit", code: -1 });
  roundTrip({ type: "resize", cols: 10_000, rows: 1 });
  await fuzz(31, mutatedExecStream, async (input) => {
    const { frames, chunks } = input as ReturnType<typeof mutatedExecStream>;
    const read: ExecFrame[] = [];
    try {
      for await (
        const frame of readExecFrames((async function* () {
          yield* chunks;
        })())
      ) {
        read.push(frame);
      }
    } catch (error) {
      assert.ok(error instanceof ExecFrameError, `not an ExecFrameError: ${error}`);
      assert.ok(error.message.length < MAX_MESSAGE, error.message.slice(0, 200));
      assert.equal(frames.length, 0, `an unmutated stream failed: ${error.message}`);
      return;
    }
    if (frames.length > 0) assert.deepEqual(read, frames);
    for (const frame of read) roundTrip(frame);
  }, Math.min(RUNS, 1500));
});

const IMAGES = [
  "127.0.0.1:5000/sonm/app:1",
  "localhost:5000/a/b/c:1",
  "busybox",
  "docker.io/library/busybox:1.36@sha256:" + "1".repeat(64),
  "sha256:" + "a".repeat(64),
  "ghcr.io/org/worker-1",
  "../../etc/passwd",
];
const POLICIES = [
  parseImagePolicy({}),
  parseImagePolicy({ allowPatterns: ["**"] }),
  parseImagePolicy({
    allowPatterns: ["127.0.0.1:5000/sonm/*", "docker.io/library/**"],
    allowDigests: ["sha256:" + "a".repeat(64)],
  }),
];

function mutatedImage(rand: Rand): string {
  const base = IMAGES[Math.floor(rand() * IMAGES.length)]!;
  return rand() < 0.8 ? mutateText(base, rand) : String(mutateValue(base, rand));
}

/** An image name gives a source, or a validation or policy error quoting it once, never more. */
function checkImage(input: unknown): void {
  const image = input as string;
  for (const policy of POLICIES) {
    try {
      precheckImage(policy, image);
      checkImagePolicy(policy, { reference: image, digest: undefined, imageId: undefined });
    } catch (error) {
      assert.ok(
        error instanceof DockerValidationError || error instanceof ImagePolicyError,
        `not an image error: ${error}`,
      );
      assert.ok(error.message.length < MAX_MESSAGE, error.message.slice(0, 200));
      const quoted = JSON.stringify(image);
      if (quoted.length > 8 && quoted.length < 100) {
        assert.ok(error.message.split(quoted).length <= 2, `quoted twice: ${error.message}`);
      }
    }
  }
  if (typeof image !== "string") return;
  const problem = imageRuleProblem(image);
  assert.ok(problem === undefined || problem.length < MAX_MESSAGE);
  if (problem === undefined) {
    parseImagePolicy({ allowPatterns: image.startsWith("sha256:") ? [] : [image] });
  }
}

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
      // a report that is not one is malformed input (2); a well-formed one that fails its check, 1
      assertClean(await cli(["bench", "verify", report]), [0, 1, 2], `bench verify ${report}`);
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

Deno.test("fuzz: image names and allowlist entries give an image, a bad-request or a policy refusal", async () => {
  for (const image of IMAGES) checkImage(image);
  await fuzz(5, mutatedImage, checkImage);
});

Deno.test("fuzz: the config's path (FIFO, device, directory, sizes around the limit) gives a config or a ConfigError at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fuzz-config-path-" });
  try {
    const limit = 256 * 1024;
    const made = await new Deno.Command("mkfifo", { args: [join(dir, "fifo")] }).output();
    assert.equal(made.code, 0);
    await Deno.symlink("/dev/zero", join(dir, "zero"));
    await Deno.symlink(join(dir, "missing"), join(dir, "dangling"));
    await Deno.mkdir(join(dir, "folder"));
    const runs = Math.max(50, Math.floor(RUNS / 10));
    await fuzz(6, (rand) => {
      const kinds = ["fifo", "zero", "dangling", "folder", "/dev/urandom", "/dev/null", "sized"];
      const kind = kinds[Math.floor(rand() * kinds.length)]!;
      // sizes around the limit, and small mutated configs
      const size = [limit - 1, limit, limit + 1, 0, 1, Math.floor(rand() * 4 * limit)][
        Math.floor(rand() * 6)
      ]!;
      return { kind, size, text: mutatedConfig(rand), seed: Math.floor(rand() * 1e9) };
    }, async (input) => {
      const { kind, size, text, seed } = input as {
        kind: string;
        size: number;
        text: string;
        seed: number;
      };
      let path = kind.startsWith("/") ? kind : join(dir, kind);
      if (kind === "sized") {
        path = join(dir, `sized-${seed}.yaml`);
        const body = new TextEncoder().encode(text.padEnd(size, "#").slice(0, size));
        await Deno.writeFile(path, body.length === size ? body : new Uint8Array(size));
      }
      try {
        await loadConfig(path, { gpuIndexes: [0, 1], readTimeoutMs: 2000 });
      } catch (error) {
        assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
        if (kind !== "sized" || size > limit) {
          assert.equal(error.problems[0]?.path, "(file)", formatConfigProblem(error.problems[0]!));
        }
      } finally {
        if (kind === "sized") await Deno.remove(path);
      }
    }, runs);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const PATHS = [
  "/",
  "/api/status",
  "/api/deals",
  "/api/events",
  "/metrics",
  "/assets/app.js",
  "/api/plans/gpu-a/pause",
  "/api/deals/7/tasks/1/stop",
  "/api/deals/9223372036854775808/tasks/1/stop",
  "/api/plans/%E0%A4%A/pause",
];
const HOSTS = [
  "127.0.0.1:PORT",
  "localhost:PORT",
  "[::1]:PORT",
  "127.0.0.1:99999999999999999999",
  "evil.example",
  "",
  "127.0.0.1:PORT:1",
  "[::1",
];

/** Printable ASCII as a request line or header carries it (other bytes are the HTTP layer's 400). */
function printable(text: string, keep: RegExp): string {
  return [...text].map((c) => keep.test(c) ? c : c.codePointAt(0)!.toString(16)).join("");
}

/**
 * A request a browser would never send: mutated method, path (broken
 * percent-encoding kept), Host, Origin, token, Content-Type, Content-Length
 * (longer or shorter than the body) or chunked bodies up to past the limit.
 * Most requests are well-formed HTTP so that they reach the dashboard's
 * handler, not only the HTTP layer.
 */
function mutatedRequest(
  rand: Rand,
): { method: string; path: string; headers: string[]; body: string } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const method = rand() < 0.85
    ? pick(["GET", "POST", "POST", "HEAD"])
    : pick(["PUT", "OPTIONS", "X"]);
  const path = rand() < 0.6
    ? pick(PATHS)
    : printable(mutateText(pick(PATHS), rand), /[A-Za-z0-9\-._~!$&'()*+,;=:@/%]/);
  const host = rand() < 0.5
    ? "127.0.0.1:PORT"
    : rand() < 0.6
    ? pick(HOSTS)
    : printable(mutateText(pick(HOSTS), rand), /[\x21-\x7e]/);
  const body = rand() < 0.5
    ? '{"paused":true}'
    : rand() < 0.5
    ? printable(mutateText('{"paused":false}', rand), /[\x20-\x7e]/)
    : "x".repeat(pick([0, 4095, 4096, 4097, 70_000]));
  const headers = [`Host: ${host}`];
  if (rand() < 0.8) headers.push("Origin: http://ORIGIN");
  if (rand() < 0.8) headers.push("X-Sonm-Token: TOKEN");
  if (rand() < 0.8) headers.push(`Content-Type: ${pick(["application/json", "text/plain"])}`);
  if (rand() < 0.7) {
    headers.push(`Content-Length: ${pick([body.length, body.length, body.length + 50, 0, 1e12])}`);
  } else headers.push("Transfer-Encoding: chunked");
  if (rand() < 0.2) {
    headers.push(`Sec-Fetch-Site: ${pick(["same-origin", "cross-site", "none", "x".repeat(300)])}`);
  }
  return { method, path, headers, body };
}

Deno.test("fuzz: the dashboard's HTTP server answers every request with a 2xx to 4xx, never a 500 or silence", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "fuzz-dash-" });
  const state = openState({ path: ":memory:" });
  const runtime = { tasks: tasksTable(state.db), stop: () => Promise.reject(new Error("none")) };
  const dash = await startDashboard({
    source: {
      snapshot: () => Promise.resolve(emptySnapshot(Date.now())),
      act: dashboardAct(createAdminActions(runtime as never, {})),
    },
    port: 0,
    dataDir,
  });
  const token = (await Deno.readTextFile(dash.tokenPath)).trim();
  const port = Number(new URL(dash.url).port);
  const encoder = new TextEncoder();
  try {
    const runs = Math.max(200, Math.floor(RUNS / 5));
    await fuzz(7, mutatedRequest, async (input) => {
      const r = input as ReturnType<typeof mutatedRequest>;
      const headers = r.headers.map((h) =>
        h.replace("PORT", String(port)).replace("ORIGIN", `127.0.0.1:${port}`).replace(
          "TOKEN",
          token,
        )
      );
      const chunked = headers.includes("Transfer-Encoding: chunked");
      const body = chunked && r.body.length > 0
        ? `${r.body.length.toString(16)}\r\n${r.body}\r\n0\r\n\r\n`
        : chunked
        ? "0\r\n\r\n"
        : r.body;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        const request = `${r.method} ${r.path} HTTP/1.1\r\n${headers.join("\r\n")}\r\n` +
          "Connection: close\r\n\r\n" + body;
        await conn.write(encoder.encode(request)).catch(() => 0);
        // the client is done: a body shorter than its length ends here, never hangs the server
        await conn.closeWrite().catch(() => {});
        const answer = await readStatusLine(conn, 10_000);
        assert.ok(answer !== undefined, "no answer");
        const status = Number(answer.split(" ")[1]);
        if (answer !== "") {
          assert.ok(status >= 200 && status < 500, `answered ${answer}`);
        }
      } finally {
        conn.close();
      }
    }, runs);
  } finally {
    await dash.stop();
    state.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

/** The first line of the answer; "" when the server closed without one; undefined on timeout. */
async function readStatusLine(conn: Deno.Conn, timeoutMs: number): Promise<string | undefined> {
  const buf = new Uint8Array(4096);
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), timeoutMs)));
  try {
    while (!text.includes("\r\n")) {
      const n = await Promise.race([conn.read(buf).catch(() => null), late]);
      if (n === "late") return undefined;
      if (n === null) return text;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text.slice(0, text.indexOf("\r\n"));
  } finally {
    clearTimeout(timer);
  }
}
