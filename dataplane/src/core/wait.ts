/** Waits for `promise`, or `ms` (then `onLate`), whichever comes first. */
export async function waitAtMost(
  promise: Promise<unknown>,
  ms: number,
  onLate: () => void = () => undefined,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => {
      resolve('late');
    }, ms);
  });
  try {
    if ((await Promise.race([promise, late])) === 'late') onLate();
  } finally {
    clearTimeout(timer);
  }
}
