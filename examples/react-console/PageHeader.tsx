import type { Connection } from '@enis/react';

/** The console's pages, by the hash that shows each. */
export const PAGES = { voice: 'Voice', xr: 'XR' } as const;
export type PageName = keyof typeof PAGES;

/** The voice console stylesheet's states (examples/voice-console/style.css). */
const STYLE: Record<Connection, string> = {
  connecting: 'connecting',
  connected: 'open',
  reconnected: 'open',
  reconnecting: 'reconnecting',
  refused: 'refused',
  closed: 'closed',
};

export interface PageHeaderProps {
  title: string;
  page: PageName;
  connection: Connection;
  reconnectAttempt: number;
}

/** A page's title, its socket's state (`#status`) and the links to the pages. */
export function PageHeader({ title, page, connection, reconnectAttempt }: PageHeaderProps) {
  return (
    <header>
      <h1>{title}</h1>
      <span id="status" data-state={STYLE[connection]}>
        {connection === 'reconnecting' ? `reconnecting (${reconnectAttempt})` : connection}
      </span>
      <nav aria-label="pages">
        {Object.entries(PAGES).map(([name, label]) => (
          <a key={name} href={`#${name}`} aria-current={name === page ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
    </header>
  );
}
