// Validates an AsyncAPI document with the AsyncAPI parser (the AsyncAPI
// CLI's own): fails on any error, prints warnings. Sends nothing anywhere.
// Usage: node validate.mjs <document>
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const [path] = process.argv.slice(2);
if (!path) {
  console.error("usage: node validate.mjs <document>");
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"), { source: path });
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of diagnostics) {
  const level = ["error", "warning", "info", "hint"][d.severity] ?? "note";
  if (d.severity <= 1) console.error(`asyncapi: ${level}: ${d.path.join(".")}: ${d.message}`);
}
if (errors.length > 0 || !document) {
  console.error(`asyncapi: ${path} is not a valid AsyncAPI document (${errors.length} errors)`);
  process.exit(1);
}
const messages = document.allMessages().length;
const operations = document.allOperations().length;
console.log(`asyncapi: ${path} is valid (AsyncAPI ${document.version()}, ${operations} operations, ${messages} messages)`);
