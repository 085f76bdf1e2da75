/**
 * The React console: the Voice Console on `useVoice()` and `<VoiceMic/>` of `@enis/react` (the
 * same page as examples/voice-console, at `#voice`, the default) and the XR Panel's scene on
 * `useXR()` and `<XRFeed/>` (at `#xr`). It talks to the gateway on its own origin (`?gateway=`
 * to name another) with the token of `?token=`, or else the one `GET /demo/token` hands out
 * (asked again when the token expired).
 */
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import '../voice-console/style.css';
import '@enis/react/enis-react.css';
import './style.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
createRoot(root).render(<App />);
