import { useEffect, useState } from 'react';
import { PAGES, type PageName } from './PageHeader.tsx';
import { VoicePage } from './VoicePage.tsx';
import { XrPage } from './XrPage.tsx';

const isPage = (name: string): name is PageName => Object.hasOwn(PAGES, name);

function current(): PageName {
  const name = location.hash.slice(1);
  return isPage(name) ? name : 'voice';
}

/**
 * The console: the page the location's hash names (`#voice`, the default, or `#xr`). Only that
 * page is mounted, so only its socket is open; another page closes it.
 */
export function App() {
  const [page, setPage] = useState(current);
  useEffect(() => {
    const follow = () => {
      setPage(current());
    };
    addEventListener('hashchange', follow);
    return () => {
      removeEventListener('hashchange', follow);
    };
  }, []);
  return page === 'xr' ? <XrPage /> : <VoicePage />;
}
