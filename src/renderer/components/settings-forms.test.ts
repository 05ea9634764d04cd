// @vitest-environment happy-dom
// The two settings forms against the real backend (in-process), whose replies with the stored
// settings (`info`, `network`) the test holds back: no form is shown, so nothing can be typed or
// saved, until the stored values are in it; a save then writes what was typed over them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { inProcessTransport } from '../../backend/in-process-transport.js';
import { LocalBackend } from '../../backend/backend.js';
import type { AppInfo, MethodName, NetworkSettings as Network } from '../../shared/api.js';
import { ApiCallError, ApiClient, setApi } from '../api/client.js';
import { useAppStore } from '../stores/app.js';
import NetworkSettings from './NetworkSettings.vue';
import SettingsPanel from './SettingsPanel.vue';

let backend: LocalBackend;
const HELD = new Set<MethodName>(['info', 'network']);
const held: (() => void)[] = [];
/** Lets the held `info` and `network` calls through to the backend. */
const release = () => held.splice(0).forEach((go) => go());
const call = (method: MethodName, payload: unknown = {}) => backend.call(method, payload);

const network: Network = {
  listener: { enabled: false, aeTitle: 'READROOM2', port: 4242, bindAddress: '127.0.0.1', allowedCallingAeTitles: ['CT_SCANNER'], stableSeconds: 20 },
  pacs: [{ name: 'archive', peer: { aeTitle: 'PACS', host: '10.0.0.5', port: 104 } }],
  destinations: [], autoSend: { enabled: false, destinations: [] },
};

beforeAll(async () => {
  backend = await LocalBackend.start({ dataDir: mkdtempSync(path.join(tmpdir(), 'lunglens-settings-forms-')), transport: 'http', version: 'test' });
  await call('setNetwork', network);
  const settings = (await call('info') as AppInfo).settings;
  await call('setSettings', { ...settings, defaultWindow: 'mediastinum', reviewer: 'Dr Ines Okafor' });
  const real = inProcessTransport(backend, (code, message) => new ApiCallError(code, message));
  setApi(new ApiClient({
    ...real,
    call: async (method: MethodName, payload: unknown) => {
      if (HELD.has(method)) await new Promise<void>((go) => held.push(go));
      return real.call(method, payload);
    },
  }, true));
}, 120_000);
afterAll(async () => backend?.close());
beforeEach(() => setActivePinia(createPinia()));

it('DICOM node: no form until the stored settings arrive, then them; a save keeps the PACS nodes and takes the typed port', async () => {
  const w = mount(NetworkSettings);
  await flushPromises();
  expect(w.find('[data-testid="net-port"]').exists()).toBe(false);
  expect(w.find('[data-testid="net-save"]').exists()).toBe(false);
  expect(w.get('[data-testid="net-loading"]').text()).toBe('Reading the DICOM node\'s settings…');

  release();
  await flushPromises();
  expect((w.get('[data-testid="net-port"]').element as HTMLInputElement).value).toBe('4242');
  expect((w.get('[data-testid="net-aet"]').element as HTMLInputElement).value).toBe('READROOM2');
  expect(w.get('[data-testid="net-pacs-list"]').text()).toContain('archive: PACS@10.0.0.5:104');

  await w.get('[data-testid="net-port"]').setValue('5151');
  await w.get('[data-testid="net-save"]').trigger('click');
  const saved = async () => (await call('network') as { settings: Network }).settings;
  await vi.waitFor(async () => expect((await saved()).listener.port).toBe(5151));
  expect((await saved()).listener).toMatchObject({ aeTitle: 'READROOM2', allowedCallingAeTitles: ['CT_SCANNER'], stableSeconds: 20 });
  expect((await saved()).pacs).toEqual(network.pacs);
  w.unmount();
});

it('Settings: no form until the stored settings arrive, then them; a save keeps the reviewer and takes the typed change', async () => {
  const w = mount(SettingsPanel);
  const loading = useAppStore().load();
  await flushPromises();
  expect(w.find('[data-testid="settings-reviewer"]').exists()).toBe(false);
  expect(w.get('[data-testid="settings-loading"]').text()).toBe('Reading the settings…');

  release();
  await loading;
  await flushPromises();
  expect((w.get('[data-testid="settings-reviewer"]').element as HTMLInputElement).value).toBe('Dr Ines Okafor');
  await w.get('[data-testid="settings-provider"]').setValue('cpu');
  await w.get('form').trigger('submit');
  const saved = async () => (await call('info') as AppInfo).settings;
  await vi.waitFor(async () => expect((await saved()).provider).toBe('cpu'));
  expect(await saved()).toMatchObject({ reviewer: 'Dr Ines Okafor', defaultWindow: 'mediastinum' });
  w.unmount();
});
