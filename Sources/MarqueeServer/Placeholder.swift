enum _PlaceholderMarqueeServer {}
