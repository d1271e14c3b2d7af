// The app's views, one route each. Hash URLs, because the Electron app loads the page from a
// file and `mchair serve` serves only real files (no history fallback).
import { nextTick } from 'vue';
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';

export const views = [
  { path: '/farm', name: 'farm', title: 'Farm', component: () => import('./views/FarmView.vue') },
  {
    path: '/models',
    name: 'models',
    title: 'Models',
    component: () => import('./views/ModelsView.vue'),
  },
  { path: '/plan', name: 'plan', title: 'Plan', component: () => import('./views/PlanView.vue') },
  { path: '/run', name: 'run', title: 'Run', component: () => import('./views/RunView.vue') },
  {
    path: '/reports',
    name: 'reports',
    title: 'Reports',
    component: () => import('./views/ReportsView.vue'),
  },
  {
    path: '/settings',
    name: 'settings',
    title: 'Settings',
    component: () => import('./views/SettingsView.vue'),
  },
] as const;

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/farm' },
  ...views.map((v) => ({
    path: v.path,
    name: v.name,
    component: v.component,
    meta: { title: v.title },
  })),
  { path: '/:rest(.*)*', redirect: '/farm' },
];

export function createAppRouter() {
  const router = createRouter({ history: createWebHashHistory(), routes });
  router.afterEach((to, from) => {
    const title = typeof to.meta.title === 'string' ? to.meta.title : null;
    document.title = title ? `${title} · Musical Chair Lab` : 'Musical Chair Lab';
    // A view swapped in place is silent to a screen reader and leaves keyboard focus on the
    // navigation; moving focus to the content says where the user is and starts Tab there.
    if (from.matched.length > 0) void nextTick(() => document.getElementById('main')?.focus());
  });
  return router;
}
