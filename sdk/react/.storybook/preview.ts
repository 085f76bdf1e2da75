import type { Preview } from '@storybook/react-vite';
import '../src/enis-react.css';

const preview: Preview = {
  parameters: { layout: 'padded' },
};

export default preview;
