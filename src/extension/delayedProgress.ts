// A cancellable progress notification that appears only when the work takes a while: walking an index that is
// already current takes a moment, and a notification flashing up on every search after an edit is noise.
import * as vscode from 'vscode';

export interface ProgressStep {
  message?: string;
  /** 0..1 of the whole task, when known. */
  fraction?: number;
}

export async function withDelayedProgress<T>(
  title: string,
  delayMs: number,
  task: (report: (step: ProgressStep) => void, token: vscode.CancellationToken) => Promise<T>,
): Promise<T> {
  const cancellation = new vscode.CancellationTokenSource();
  let latest: ProgressStep = {};
  let notification: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  let shownFraction = 0;
  const show = (step: ProgressStep) => {
    if (!notification) return;
    // VS Code adds up increments; the task reports where it is.
    const increment = step.fraction !== undefined ? Math.max(0, step.fraction - shownFraction) * 100 : undefined;
    if (step.fraction !== undefined) shownFraction = Math.max(shownFraction, step.fraction);
    notification.report({ message: step.message, increment });
  };
  let finish = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const timer = setTimeout(() => {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      notification = progress;
      token.onCancellationRequested(() => cancellation.cancel());
      show(latest);
      return finished;
    });
  }, delayMs);
  try {
    return await task((step) => {
      latest = step;
      show(step);
    }, cancellation.token);
  } finally {
    clearTimeout(timer);
    finish();
    cancellation.dispose();
  }
}
