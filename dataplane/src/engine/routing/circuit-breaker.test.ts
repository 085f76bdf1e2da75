import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.ts';

describe('a circuit breaker', () => {
  const clock = { now: 0 };
  const breaker = () => new CircuitBreaker({ failureThreshold: 2, openMs: 100 }, () => clock.now);

  it('opens after the threshold of consecutive failures and refuses calls', () => {
    const circuit = breaker();
    circuit.onFailure();
    expect(circuit.state).toBe('closed');
    circuit.onFailure();
    expect(circuit.state).toBe('open');
    expect(circuit.tryAcquire()).toBe(false);
  });

  it('lets exactly one trial through when half-open, and closes on its success', () => {
    clock.now = 0;
    const circuit = breaker();
    circuit.onFailure();
    circuit.onFailure();
    clock.now = 100;
    expect(circuit.state).toBe('half_open');
    expect(circuit.tryAcquire()).toBe(true);
    expect(circuit.tryAcquire()).toBe(false);
    circuit.onSuccess();
    expect(circuit.state).toBe('closed');
  });

  it('re-opens when the half-open trial fails', () => {
    clock.now = 0;
    const circuit = breaker();
    circuit.onFailure();
    circuit.onFailure();
    clock.now = 150;
    expect(circuit.tryAcquire()).toBe(true);
    circuit.onFailure();
    expect(circuit.state).toBe('open');
  });

  it('forgets failures after a success', () => {
    const circuit = breaker();
    circuit.onFailure();
    circuit.onSuccess();
    circuit.onFailure();
    expect(circuit.state).toBe('closed');
  });
});
