// The first results of a run as a table, columns in the order the rows first show them.
import type { Page } from '../types';
import { useApi } from '../use-api';

const HIDDEN = new Set(['id', 'object', 'squid', 'run']);

function renderCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function ResultsTable({ runId }: { runId: string }) {
  const { data } = useApi<Page<Record<string, unknown>>>(`/v1/results?run=${runId}&limit=20`);
  if (data === null || data.data.length === 0) return <p class="muted">No results yet.</p>;
  const columns = [...new Set(data.data.flatMap((row) => Object.keys(row)))].filter((column) => !HIDDEN.has(column));
  return (
    <div class="table-wrap">
      <table>
        <caption>First {data.data.length} of {data.total_results} results</caption>
        <thead><tr>{columns.map((column) => <th key={column} scope="col">{column}</th>)}</tr></thead>
        <tbody>
          {data.data.map((row, index) => (
            <tr key={index}>{columns.map((column) => <td key={column}>{renderCell(row[column])}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
