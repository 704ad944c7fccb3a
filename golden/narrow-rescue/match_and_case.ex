defmodule Golden.NarrowRescue.MatchAndCase do
  def decode(body) do
    {:ok, data} = Jason.decode(body)

    case data do
      %{"version" => 1} -> data
      %{"version" => 2} -> Map.delete(data, "legacy")
    end
  rescue
    _ -> nil
  end

  def ratio(a, b) do
    a / b
  rescue
    _ -> 0.0
  end
end
