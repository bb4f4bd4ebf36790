// Tokenizes .lemon files with the extension's grammar through VS Code's own engine
// (vscode-textmate + vscode-oniguruma) and prints, for each file, every token as
// [line, start column, end column, scopes] (1-based line, 0-based columns) in JSON.
// tests/lsp/test_textmate_grammar.py reads it.
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const wasm = fs.readFileSync(
  path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm"),
);
const onigLib = oniguruma.loadWASM(wasm.buffer).then(() => ({
  createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
  createOnigString: (text) => new oniguruma.OnigString(text),
}));
const grammarPath = path.join(__dirname, "..", "syntaxes", "lemon.tmLanguage.json");
const registry = new vsctm.Registry({
  onigLib,
  loadGrammar: async (scopeName) =>
    scopeName === "source.lemon"
      ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath)
      : null,
});

async function main(files) {
  const grammar = await registry.loadGrammar("source.lemon");
  const result = {};
  for (const file of files) {
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    let state = vsctm.INITIAL;
    const tokens = [];
    lines.forEach((line, index) => {
      const found = grammar.tokenizeLine(line, state);
      for (const t of found.tokens) {
        tokens.push([index + 1, t.startIndex, Math.min(t.endIndex, line.length), t.scopes]);
      }
      state = found.ruleStack;
    });
    result[file] = tokens;
  }
  process.stdout.write(JSON.stringify(result));
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(1);
});
