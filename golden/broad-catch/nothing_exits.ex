defmodule Golden.BroadCatch.NothingExits do
  def label(map) do
    map |> Map.get(:label, "") |> String.upcase()
  catch
    _, _ -> ""
  end
end
