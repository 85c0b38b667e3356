import { describe, expect, it } from "vitest";
import { newMessageId, timeOfMessageId } from "../src/realtime/message-id.js";

describe("message ids", () => {
  it("are 26 Crockford base32 characters that carry their time", () => {
    const now = Date.UTC(2026, 10, 25, 12, 0, 0);
    const id = newMessageId(now);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(timeOfMessageId(id)).toBe(now);
  });

  it("increase strictly within one millisecond and across a clock step back", () => {
    const ids = Array.from({ length: 1000 }, () => newMessageId(Date.UTC(2030, 0, 1)));
    ids.push(newMessageId(Date.UTC(2029, 0, 1)));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
  });
});
