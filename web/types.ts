// The API's JSON shapes, as far as the dashboard reads them (docs/api.md has them all).

export interface Page<T> {
  total_results: number;
  page: number;
  total_pages: number;
  limit: number;
  data: T[];
}

export interface Squid {
  id: string;
  name: string;
  export_unique_results: boolean;
  no_line_breaks: boolean;
  last_run: string | null;
  last_run_status: string | null;
  last_run_at: string | null;
  total_runs: number;
  [fieldsKey: string]: unknown;
}

export interface Run {
  id: string;
  squid: string;
  status: string;
  total_results: number;
  started_at: string;
  ended_at: string | null;
  export_done: boolean | null;
  done_reason: string | null;
}

export interface DeliveryError {
  code: string;
  message: string;
  hint: string | null;
  status_code: number | null;
}

export interface Attempt {
  number: number;
  started_at: string;
  ended_at: string | null;
  outcome: string | null;
  error: DeliveryError | null;
  rows: number | null;
  bytes: number | null;
  key?: string | null;
}

export interface Delivery {
  id: string;
  kind: string;
  event: string;
  round: number;
  status: string;
  bucket?: string;
  key?: string | null;
  attempts: number;
  last_error: DeliveryError | null;
  created_at: string;
  finished_at: string | null;
  attempt_history: Attempt[];
}

export interface Channel {
  kind: string;
  title: string;
  description: string;
  fields_key: string;
  test_route: string;
  secret_route: string | null;
  fields: Record<string, { type?: string | string[] }>;
}

export interface ProbeResult {
  success: boolean;
  status_code: number | null;
  error?: { code: string; message: string; hint: string | null };
}
