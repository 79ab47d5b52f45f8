#version 330 core
// One quad over the frame's letterboxed rectangle, in target pixels (y
// down) as overlay.vert; uv (0,0) is the frame's top-left pixel.
layout(location = 0) in vec2 a_pos;
layout(location = 1) in vec2 a_uv;

uniform vec2 u_target;                  // target size in pixels

out vec2 v_uv;

void main()
{
    v_uv = a_uv;
    gl_Position = vec4(a_pos.x / u_target.x * 2.0 - 1.0,
                       1.0 - a_pos.y / u_target.y * 2.0, 0.0, 1.0);
}
