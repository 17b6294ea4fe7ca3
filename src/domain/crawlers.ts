// The one crawler Squidship offers: the user's own scraper, which pushes its results in.

export interface Crawler {
  id: string;
  name: string;
  slug: string;
}

export const BUILT_IN_CRAWLER: Crawler = {
  id: '5b0c9a3b2d2f4c6e8a1f7d3e9c4b6a20',
  name: 'Custom scraper (push results via API)',
  slug: 'custom-scraper',
};
