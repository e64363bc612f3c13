/**
 * Saves text the window made (a check's history, its exports) as a file: a download in a browser,
 * the native save dialog in Electron (its default for a download). Nothing leaves this machine.
 */
export function downloadText(name: string, text: string | readonly string[], type = 'application/json'): void {
  const link = document.createElement('a');
  // Pieces rather than one string: a large file never becomes one string in the page.
  link.href = URL.createObjectURL(new Blob(typeof text === 'string' ? [text] : [...text], { type }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has the blob once the click ran; keep the address a while for slow saves.
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
