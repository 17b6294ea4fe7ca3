// An export's object key: derived from the destination's target path and the run's export file
// name, so every retry and re-delivery overwrites the same object. Pure.

/** `<target_path>/<file>.<extension>`, or `<file>.<extension>` at the bucket root when target_path is "". */
export function renderObjectKey(targetPath: string, exportFileName: string, extension: string): string {
  const file = `${exportFileName}.${extension}`;
  return targetPath === '' ? file : `${targetPath}/${file}`;
}
