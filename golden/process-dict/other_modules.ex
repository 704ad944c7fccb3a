defmodule Golden.ProcessDict.OtherModules do
  defmodule Process do
    def get(key), do: {:fake, key}
  end

  alias Golden.ProcessDict.OtherModules.Process, as: Fake

  def lookup(opts, map) do
    {Keyword.get(opts, :key), Map.put(map, :a, 1), Map.delete(map, :b), Fake.get(:x)}
  end

  def nested, do: Golden.ProcessDict.OtherModules.Process.get(:y)
end
