// Validates Teams manifest and language files against the schemas bundled in
// npm @microsoft/app-manifest, offline, with ajv as that package uses it.
//
//   node manifest/validate.cjs SCHEMA.json FILE.json [FILE.json ...]
//
// Prints one JSON object: {"FILE.json": ["error", ...], ...}; exit code 0 either way
// (the caller judges the errors), 2 when it cannot run at all.
"use strict";
const fs = require("fs");
const path = require("path");

const modules = path.join(__dirname, ".npm", "node_modules");
let AppManifestUtils, Ajv04, addFormats;
try {
  ({ AppManifestUtils } = require(path.join(modules, "@microsoft", "app-manifest")));
  Ajv04 = require(path.join(modules, "ajv-draft-04")).default;
  addFormats = require(path.join(modules, "ajv-formats")).default;
} catch (error) {
  console.error(`cannot load @microsoft/app-manifest (npm ci --prefix manifest/.npm): ${error.message}`);
  process.exit(2);
}

// The package's validator compiles patterns as unicode regular expressions, which the
// localization schema's activityTypes pattern ("\b]") is not; for that schema, the same
// ajv setup with plain regular expressions (as the JSON Schema spec's ECMA 262 regexes are).
function localizationValidator(schema) {
  const ajv = new Ajv04({ allErrors: true, strictTypes: false, unicodeRegExp: false });
  addFormats(ajv, ["uri", "email", "regex"]);
  const validate = ajv.compile(schema);
  return (document) => (validate(document) ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message}`));
}

async function main(schemaPath, files) {
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
  const validate = path.basename(schemaPath).includes("Localization")
    ? localizationValidator(schema)
    // Passing the schema keeps the package's validator from fetching it over the network.
    : (document) => AppManifestUtils.validateAgainstSchema(document, schema);
  const result = {};
  for (const file of files) {
    result[file] = await validate(JSON.parse(fs.readFileSync(file, "utf8")));
  }
  process.stdout.write(JSON.stringify(result));
}

const [schemaPath, ...files] = process.argv.slice(2);
if (!schemaPath || files.length === 0) {
  console.error("usage: node manifest/validate.cjs SCHEMA.json FILE.json [FILE.json ...]");
  process.exit(2);
}
main(schemaPath, files).catch((error) => {
  console.error(error.stack || String(error));
  process.exit(2);
});
