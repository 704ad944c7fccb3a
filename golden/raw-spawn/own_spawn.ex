defmodule Golden.RawSpawn.OwnSpawn do
  import Kernel, except: [spawn: 1]

  # This module's own spawn/1 (a game entity spawner), not Kernel.spawn/1.
  def spawn(entity), do: {:spawned, entity}

  def level do
    spawn(:goblin)
    spawn(:dragon)
  end
end
