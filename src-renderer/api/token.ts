// The per-start token of `mchair serve`: it arrives once in the page URL (?token=...), is kept in
// this tab's sessionStorage so reloads and in-app navigation keep working, and is taken out of the
// visible address so it does not end up in bookmarks, screenshots or shared links.
import { TOKEN_PARAM } from '../../src-main/contract/socket';

const STORAGE_KEY = 'mchair.token';

export function takeToken(
  location: Pick<Location, 'href'>,
  storage: Pick<Storage, 'getItem' | 'setItem'>,
  history: Pick<History, 'replaceState' | 'state'>,
): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get(TOKEN_PARAM);
  if (fromUrl) {
    storage.setItem(STORAGE_KEY, fromUrl);
    url.searchParams.delete(TOKEN_PARAM);
    history.replaceState(history.state, '', url.toString());
    return fromUrl;
  }
  return storage.getItem(STORAGE_KEY);
}
