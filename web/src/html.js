// Text from the server (titles, causes, instructions from a protocol someone uploaded) is
// escaped before it goes into markup.
export function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
