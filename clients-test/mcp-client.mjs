// The official MCP TypeScript SDK's Client against pocketrag: `pocketrag mcp` over stdio, or `serve`'s /mcp over
// streamable HTTP (started by the JUnit tests).
// Usage: node mcp-client.mjs stdio COMMAND ARGS_JSON      (the server process to spawn; its env: this one's)
//        node mcp-client.mjs http URL [API_KEY]
//        node mcp-client.mjs refused URL                  (connect without a key; report how it failed)
// Environment: MCP_QUERY, MCP_QUESTION (what to search for and ask).
// Prints one JSON object of what the client saw; the JUnit test checks it.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mode, target, extra] = process.argv.slice(2);
const report = { mode };

function transport() {
  if (mode === "stdio") {
    return new StdioClientTransport({ command: target, args: JSON.parse(extra), env: process.env, stderr: "inherit" });
  }
  const headers = mode === "http" && extra ? { Authorization: `Bearer ${extra}` } : {};
  return new StreamableHTTPClientTransport(new URL(target), { requestInit: { headers } });
}

function error(e) {
  return { class: e?.constructor?.name, code: e?.code ?? null, message: String(e?.message ?? e) };
}

/** A tool call: its parsed text (JSON when it is), structuredContent and isError. */
async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  const text = r.content?.[0]?.text ?? null;
  let json = null;
  try { json = JSON.parse(text); } catch { /* an error message */ }
  return { isError: r.isError ?? false, text: json === null ? text : null, json, structured: r.structuredContent ?? null };
}

const client = new Client({ name: "pocketrag-clients-test", version: "1.0.0" });
if (mode === "refused") {
  try {
    await client.connect(transport());
    report.refused = false;
  } catch (e) {
    report.refused = true;
    report.error = error(e);
  }
  console.log(JSON.stringify(report));
  process.exit(0);
}

await client.connect(transport());
report.server = client.getServerVersion();
report.capabilities = client.getServerCapabilities();
report.instructions = client.getInstructions() ?? null;
report.tools = (await client.listTools()).tools.map((t) => ({ name: t.name, required: t.inputSchema?.required ?? [],
  readOnly: t.annotations?.readOnlyHint ?? null }));

const query = process.env.MCP_QUERY ?? "insurance";
const question = process.env.MCP_QUESTION ?? "When does the car insurance renew?";
report.search = await call(client, "search_notes", { query, k: 3 });
report.search_empty = await call(client, "search_notes", { query: "  " });
report.search_bad_k = await call(client, "search_notes", { query, k: 500 });
report.ask = await call(client, "ask_notes", { question });
report.ask_thread = [
  await call(client, "ask_notes", { question, thread: "mcp-test" }),
  await call(client, "ask_notes", { question: "And who is it with?", thread: "mcp-test" }),
];
report.ask_bad_thread = await call(client, "ask_notes", { question, thread: "no spaces allowed" });
report.list = await call(client, "list_notes", { limit: 100 });
report.get_missing = await call(client, "get_note", { id: "no-such-note" });

report.resources = (await client.listResources()).resources.map((r) => ({ uri: r.uri, name: r.name, mimeType: r.mimeType }));
report.templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
const uri = report.search.json?.results?.[0]?.uri;
if (uri) {
  const read = await client.readResource({ uri });
  report.read = read.contents.map((c) => ({ uri: c.uri, mimeType: c.mimeType, text: c.text, meta: c._meta ?? null }));
}
try {
  await client.readResource({ uri: "note://no-such-note" });
  report.read_missing = null;
} catch (e) {
  report.read_missing = error(e);
}

if (report.tools.some((t) => t.name === "add_note")) {
  report.add = await call(client, "add_note", { title: "Bike lock code", text: "The bike lock code is 4-7-1-9.", tags: ["bike"] });
  report.search_added = await call(client, "search_notes", { query: "bike lock code", k: 1 });
  report.get_added = report.add.json ? await call(client, "get_note", { id: report.add.json.id }) : null;
}

await client.close();
console.log(JSON.stringify(report));
