defmodule Golden.BroadCatch.Throws do
  def first_match(server, items) do
    try do
      for item <- items, GenServer.call(server, {:match?, item}), do: throw({:found, item})
      :none
    catch
      _kind, _reason -> :none
    end
  end

  def handled(server, items) do
    try do
      for item <- items, GenServer.call(server, {:match?, item}), do: throw({:found, item})
      :none
    catch
      :throw, {:found, item} -> item
      :throw, _ -> :none
      :exit, _reason -> :none
    end
  end
end
