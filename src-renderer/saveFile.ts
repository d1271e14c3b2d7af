// Hands a file the core made to the user: the browser's (or Electron's) own download, so the
// user picks where it goes and the page never needs a path on this computer.
export function saveFile(fileName: string, mime: string, base64: string): void {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  // The download has taken its copy once click() returns; the URL only holds memory.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
