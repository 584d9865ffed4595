enum _PlaceholderMarqueeSimulation {}
