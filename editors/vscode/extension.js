// The .lemon extension's client: starts `lemonc lsp` over stdio and hands it every .lemon
// file. The grammar (syntaxes/lemon.tmLanguage.json) colours the text without the server.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("lemon");
  const command = settings.get("server.command", ["lemonc", "lsp"]);
  const profile = settings.get("profile", "");
  const args = command.slice(1).concat(profile ? ["--profile", profile] : []);
  const server = { command: command[0], args, transport: TransportKind.stdio };
  client = new LanguageClient(
    "lemon",
    "lemonc language server",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "lemon" }],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.lemon") },
    },
  );
  context.subscriptions.push(client);
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `Could not start \`${command.join(" ")}\`: ${error.message}. ` +
        "Install it with `pip install 'lemonspec[lsp]'` or set lemon.server.command.",
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
