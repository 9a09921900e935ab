"""facewatch: real-time face-recognition alerts on AWS."""
