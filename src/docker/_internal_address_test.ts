import assert from "node:assert/strict";
import { hostName, isInternalAddress, isInternalHostLiteral } from "./_internal_address.ts";

Deno.test("isInternalAddress() knows loopback, link-local, private, shared and unspecified ranges", () => {
  const internal = [
    "127.0.0.1",
    "127.255.1.2",
    "10.0.0.5",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254", // cloud metadata
    "100.64.0.1",
    "0.0.0.0",
    "::1",
    "::",
    "[::1]",
    "fe80::1",
    "fd00::1",
    "fc12:3456::9",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.1.2.3",
  ];
  for (const a of internal) assert.equal(isInternalAddress(a), true, a);
  const external = [
    "8.8.8.8",
    "172.32.0.1",
    "192.169.0.1",
    "100.128.0.1",
    "2001:db8::1",
    "::ffff:8.8.8.8",
  ];
  for (const a of external) assert.equal(isInternalAddress(a), false, a);
  for (const a of ["registry.example", "256.1.1.1", "1.2.3", ":::", "1::2::3"]) {
    assert.equal(isInternalAddress(a), undefined, a);
  }
});

Deno.test("isInternalHostLiteral() reads a registry host with its port; names need resolving", () => {
  assert.equal(isInternalHostLiteral("localhost:5000"), true);
  assert.equal(isInternalHostLiteral("LOCALHOST"), true);
  assert.equal(isInternalHostLiteral("registry.localhost:5000"), true);
  assert.equal(isInternalHostLiteral("127.0.0.1:5000"), true);
  assert.equal(isInternalHostLiteral("[::1]:5000"), true);
  assert.equal(isInternalHostLiteral("8.8.8.8:443"), false);
  assert.equal(isInternalHostLiteral("registry.example:5000"), undefined);
  assert.equal(hostName("[fe80::1]:5000"), "fe80::1");
  assert.equal(hostName("host:5000"), "host");
});
