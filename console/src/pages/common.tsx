import type { ComponentChildren } from 'preact';

export function ErrorBox({ error }: { error: string | undefined }) {
  return error === undefined ? null : (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Loading() {
  return <p class="muted">Loading…</p>;
}

export function Section({ title, children, testid }: { title: string; children: ComponentChildren; testid?: string }) {
  return (
    <section data-testid={testid}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}
