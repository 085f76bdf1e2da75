import type { XrAction, XrState } from './xr-state.ts';

function describe(action: XrAction): string {
  switch (action.type) {
    case 'highlight':
      return `highlight ${action.anchor_id}${action.color === undefined ? '' : ` ${action.color}`}`;
    case 'annotate':
      return `annotate ${action.anchor_id}: ${action.text}`;
    case 'haptic':
      return `haptic ${action.hand} ${action.intensity} for ${action.duration_ms} ms`;
    case 'audio_cue':
      return `audio cue ${action.cue}${action.anchor_id === undefined ? '' : ` at ${action.anchor_id}`}`;
  }
}

export interface XRFeedProps {
  state: XrState;
}

/**
 * What an XR session shows besides the scene: the socket's state, the anchors (highlighted ones
 * marked with the answer's colour), the referent the gateway resolved, the utterance, the
 * streamed answer and its actions. Stateless: it shows `useXR().state`.
 */
export function XRFeed({ state }: XRFeedProps) {
  const referent = state.referent;
  return (
    <div className="enis-xr-feed" data-connection={state.connection}>
      <p className="enis-xr-feed-connection" role="status">
        {state.connection === 'reconnecting'
          ? `reconnecting (attempt ${state.reconnectAttempt})`
          : state.connection}
        {state.resumed ? ', session resumed' : ''}
        {state.timing?.clock_offset_ms != null
          ? `, clock offset ${Math.round(state.timing.clock_offset_ms)} ms`
          : ''}
      </p>
      <ul className="enis-xr-feed-anchors" aria-label="anchors">
        {state.anchors.map((anchor) => {
          const lit = anchor.id in state.highlighted;
          return (
            <li
              key={anchor.id}
              data-anchor={anchor.id}
              data-highlighted={lit}
              style={lit ? { outlineColor: state.highlighted[anchor.id] ?? '#f5a623' } : undefined}
            >
              {anchor.label}
            </li>
          );
        })}
      </ul>
      {referent !== undefined && (
        <p className="enis-xr-feed-referent" data-rule={referent.rule}>
          {referent.referents.length === 0
            ? 'nothing resolved'
            : referent.referents.map((r) => `${r.label} (${r.source})`).join(', ')}
          {referent.overruled === undefined
            ? ''
            : `; gaze on ${referent.overruled.label} overruled`}
        </p>
      )}
      {state.utterance !== undefined && <p className="enis-xr-feed-utterance">{state.utterance}</p>}
      <p className="enis-xr-feed-answer" data-final={state.answerFinal}>
        {state.answer}
      </p>
      <ol className="enis-xr-feed-actions" aria-label="actions">
        {state.actions.map((action, index) => (
          <li key={index} data-action={action.type}>
            {describe(action)}
          </li>
        ))}
      </ol>
      {state.refusal !== undefined && (
        <p className="enis-xr-feed-error" role="alert">
          could not connect: {state.refusal}
        </p>
      )}
      {state.error !== undefined && (
        <p className="enis-xr-feed-error" role="alert">
          {state.error.code}: {state.error.message}
        </p>
      )}
    </div>
  );
}
