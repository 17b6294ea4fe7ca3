// Entry point: mounts the dashboard into #app (index.html loads this as a module: no inline script).
import { render } from 'preact';
import { App } from './app';
import './styles.css';

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
}
