# The native CSV byte path (src/export/formats/csv/native/, loaded by src/export/formats/csv/native-csv-records.ts).
# Optional: without build/Release/squidship_csv.node the export uses its JS paths, with the
# same bytes. Build: node-gyp rebuild (C only, Node-API 8, so one build serves every Node >= 20).
{
  "targets": [
    {
      "target_name": "squidship_csv",
      "sources": [
        "src/export/formats/csv/native/addon.c",
        "src/export/formats/csv/native/csv-columns.c",
        "src/export/formats/csv/native/csv-nested.c",
        "src/export/formats/csv/native/csv-record.c",
        "src/export/formats/csv/native/json-scan.c"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-std=c11"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CFLAGS": ["-std=c11"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "Optimization": 2 }
      }
    }
  ]
}
