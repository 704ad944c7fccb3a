defmodule Golden.RawSpawn.FixMfa do
  def warm_caches(keys) do
    spawn(__MODULE__, :warm, [keys])
    :ok
  end

  def warm(_keys), do: :ok
end
