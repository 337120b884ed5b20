import assert from "node:assert/strict";
import { isLoopbackAddress, isLoopbackHost, sameSecret } from "./_security.ts";

Deno.test("isLoopbackAddress() accepts 127/8, ::1 and v4-mapped loopback only", () => {
  for (const a of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"]) {
    assert.equal(isLoopbackAddress(a), true, a);
  }
  for (
    const a of ["10.0.0.1", "0.0.0.0", "::", "::ffff:10.0.0.1", "128.0.0.1", "", "127.0.0.1.evil"]
  ) {
    assert.equal(isLoopbackAddress(a), false, a);
  }
});

Deno.test("isLoopbackHost() reads the name of a Host header with or without a port", () => {
  for (const h of ["localhost:9337", "127.0.0.1", "[::1]:9337", "localhost"]) {
    assert.equal(isLoopbackHost(h), true, h);
  }
  for (const h of ["evil.example", "localhost.evil.example:80", "10.1.1.1:9337", ""]) {
    assert.equal(isLoopbackHost(h), false, h);
  }
});

Deno.test("sameSecret() compares whole strings", () => {
  assert.equal(sameSecret("abc", "abc"), true);
  assert.equal(sameSecret("abc", "abd"), false);
  assert.equal(sameSecret("abc", "abcd"), false);
  assert.equal(sameSecret("", "a"), false);
});
